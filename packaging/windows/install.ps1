<#
.SYNOPSIS
Installs PrintDesk on a Windows lab PC: the students' intake and the background worker as
Windows services (start at boot, restart on failure), a Start-menu shortcut for the staff
console, and the firewall rule that lets the campus network reach the intake.

.DESCRIPTION
Run from a copy of PrintDesk's source, in PowerShell started as administrator:
    powershell -ExecutionPolicy Bypass -File packaging\windows\install.ps1
It installs exactly the tested versions (requirements\run.txt, every file hash-checked) into a
virtual environment under -InstallDir. The services use pywin32's service framework
(printdesk\winservice.py says why): PrintDesk's own code runs in the service and stops cleanly
on a service stop, as Ctrl+C stops it. Running it again updates the program and keeps the data.

.PARAMETER DataDir
The data folder the services and the console share (default C:\ProgramData\PrintDesk).
.PARAMETER InstallDir
Where the program goes (default C:\Program Files\PrintDesk).
.PARAMETER Port
The intake's TCP port opened in the firewall (default 8080; it must match [intake] port).
.PARAMETER StaffAccount
The Windows account staff use the console with; it gets write access to DataDir (default: the
account running this script).
.PARAMETER Python
The Python 3.11+ launcher command (default: py -3).
#>
param(
    [string]$DataDir = "$env:ProgramData\PrintDesk",
    [string]$InstallDir = "$env:ProgramFiles\PrintDesk",
    [int]$Port = 8080,
    [string]$StaffAccount = "$env:USERDOMAIN\$env:USERNAME",
    [string[]]$Python = @('py', '-3')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$principal = New-Object Security.Principal.WindowsPrincipal(
    [Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Write-Error 'install.ps1: run PowerShell as administrator.'
    exit 2
}
if ($Port -lt 1 -or $Port -gt 65535) { Write-Error "install.ps1: -Port $Port is not a TCP port."; exit 2 }

$Source = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
$Venv = Join-Path $InstallDir 'venv'
$VenvPython = Join-Path $Venv 'Scripts\python.exe'
$SitePackages = Join-Path $Venv 'Lib\site-packages'
$Services = @('PrintDeskIntake', 'PrintDeskWorker')

function Invoke-Checked([string]$What, [string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE): $Exe $Arguments" }
}

# An update: stop the running services first (their files are about to be replaced).
foreach ($name in $Services) {
    if (Get-Service -Name $name -ErrorAction SilentlyContinue) {
        Stop-Service -Name $name -ErrorAction SilentlyContinue
    }
}

# The program: the tested dependency versions (hash-checked), then PrintDesk itself.
New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
if (-not (Test-Path $VenvPython)) {
    $launcher = $Python[0]
    $launcherArgs = @($Python | Select-Object -Skip 1) + @('-m', 'venv', $Venv)
    Invoke-Checked 'Creating the virtual environment' $launcher $launcherArgs
}
Invoke-Checked 'Installing the locked dependencies' $VenvPython @(
    '-m', 'pip', 'install', '--require-hashes', '-r', (Join-Path $Source 'requirements\run.txt'))
Invoke-Checked 'Installing PrintDesk' $VenvPython @('-m', 'pip', 'install', '--no-deps', $Source)
# pywin32's DLLs where the service host (pythonservice.exe) finds them.
Invoke-Checked 'Setting up pywin32' $VenvPython @('-m', 'pywin32_postinstall', '-install', '-silent')
Copy-Item (Join-Path $Source 'packaging\icons\printdesk.ico') (Join-Path $InstallDir 'printdesk.ico') -Force

# The data folder: created by init (it keeps what exists), shared with the staff's account. The
# port is recorded for the intake and the console; at a console window init asks for the staff
# password and the students' address, otherwise the console asks for the password at first start.
$initArgs = @('-m', 'printdesk', 'init', '--data', $DataDir, '--port', $Port)
if ([Console]::IsInputRedirected) { $initArgs += '--no-password' }
Invoke-Checked 'Preparing the data folder' $VenvPython $initArgs
& icacls.exe $DataDir /grant "${StaffAccount}:(OI)(CI)M" /T /Q | Out-Null
if ($LASTEXITCODE -ne 0) { throw "Giving $StaffAccount access to $DataDir failed." }

# The services: automatic start, restarted by Windows when they fail, told their data folder.
$environment = @(
    "PRINTDESK_DATA=$DataDir",
    "PYTHONPATH=$SitePackages;$SitePackages\win32;$SitePackages\win32\lib"
)
foreach ($kind in @('intake', 'worker')) {
    $name = if ($kind -eq 'intake') { 'PrintDeskIntake' } else { 'PrintDeskWorker' }
    $verb = if (Get-Service -Name $name -ErrorAction SilentlyContinue) { 'update' } else { 'install' }
    Invoke-Checked "Registering $name" $VenvPython @(
        '-m', 'printdesk.winservice', $kind, '--startup', 'auto', $verb)
    Set-ItemProperty -Path "HKLM:\SYSTEM\CurrentControlSet\Services\$name" `
        -Name Environment -Type MultiString -Value $environment
    & sc.exe failure $name reset= 86400 actions= restart/5000/restart/5000/restart/60000 | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "Setting the restart-on-failure actions of $name failed." }
    & sc.exe failureflag $name 1 | Out-Null
    Start-Service -Name $name
}

# The firewall: the intake's port, for the domain and private networks (not public Wi-Fi).
Get-NetFirewallRule -DisplayName 'PrintDesk intake' -ErrorAction SilentlyContinue |
    Remove-NetFirewallRule
New-NetFirewallRule -DisplayName 'PrintDesk intake' -Direction Inbound -Protocol TCP `
    -LocalPort $Port -Action Allow -Profile Domain, Private | Out-Null

# The console in the Start menu, without a terminal window.
$shortcut = Join-Path $env:ProgramData 'Microsoft\Windows\Start Menu\Programs\PrintDesk.lnk'
$shell = New-Object -ComObject WScript.Shell
$link = $shell.CreateShortcut($shortcut)
$link.TargetPath = Join-Path $Venv 'Scripts\pythonw.exe'
$link.Arguments = "-m printdesk console --data `"$DataDir`""
$link.WorkingDirectory = $DataDir
$link.IconLocation = Join-Path $InstallDir 'printdesk.ico'
$link.Description = 'PrintDesk: the 3D-print job desk'
$link.Save()

Write-Host "PrintDesk is installed. Services: $($Services -join ', ') (Get-Service PrintDesk*)."
Write-Host "Data: $DataDir (logs in $DataDir\logs). Students: port $Port, open in the firewall."
Write-Host 'Staff: PrintDesk in the Start menu; it asks for the staff password the first time.'
