<#
.SYNOPSIS
Removes what install.ps1 installed: the PrintDeskIntake and PrintDeskWorker services, the
Start-menu shortcut, the firewall rule and the program folder. The data folder (every job's
files and history) stays unless -Purge is given: back up first with `printdesk backup`.
    powershell -ExecutionPolicy Bypass -File packaging\windows\uninstall.ps1 [-Purge]
#>
param(
    [string]$DataDir = "$env:ProgramData\PrintDesk",
    [string]$InstallDir = "$env:ProgramFiles\PrintDesk",
    [switch]$Purge
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$principal = New-Object Security.Principal.WindowsPrincipal(
    [Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Write-Error 'uninstall.ps1: run PowerShell as administrator.'
    exit 2
}
$VenvPython = Join-Path $InstallDir 'venv\Scripts\python.exe'

foreach ($name in @('PrintDeskIntake', 'PrintDeskWorker')) {
    if (Get-Service -Name $name -ErrorAction SilentlyContinue) {
        Stop-Service -Name $name -ErrorAction SilentlyContinue
        & sc.exe delete $name | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "Removing the service $name failed." }
    }
}
Get-NetFirewallRule -DisplayName 'PrintDesk intake' -ErrorAction SilentlyContinue |
    Remove-NetFirewallRule
$shortcut = Join-Path $env:ProgramData 'Microsoft\Windows\Start Menu\Programs\PrintDesk.lnk'
Remove-Item -Force -ErrorAction SilentlyContinue $shortcut
if (Test-Path $VenvPython) {
    & $VenvPython -m pywin32_postinstall -remove -silent | Out-Null
}
Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $InstallDir
if ($Purge) {
    Remove-Item -Recurse -Force $DataDir
    Write-Host "PrintDesk and its data ($DataDir) are removed."
} else {
    Write-Host "PrintDesk is removed; its data stays in $DataDir (-Purge removes it)."
}
