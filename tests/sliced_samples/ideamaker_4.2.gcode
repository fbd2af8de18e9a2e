;Sliced by ideaMaker 4.2.3.6210, 2022-03-10 10:20:30
;Dimension:305.000 305.000 605.000 0.400 0.400
;Plate Shape: 0
;Origin Center: 0
;Extruder Offset #1: 0.000 0.000
;Extruder Offset #2: 24.985 0.000
;Filament Diameter #1: 1.750
;Filament Diameter #2: 1.750
;Filament Compensation #1: 100.000
;Filament Compensation #2: 100.000
;Filament Type #1: PETG
;Filament Type #2: PLA
;Filament Density #1: 1.270
;Filament Density #2: 1.240
;Filament Name #1: [Raise3D] PETG
;Filament Name #2: [Raise3D] PLA
;Materials:1
;Print Time: 3616
;Total Layers:37
;Material#1 Used: 1802.7
;Material#2 Used: 0.0
;Bounding Box:57.550 247.450 104.450 200.550 0.300 11.400
M107
G90
M82
;LAYER:0
;HEIGHT:0.300
G1 X100 Y100 E1.2
;PrintDesk test sample. Shape: the ideaMaker comments as Moonraker's metadata parser
;(Arksine/moonraker, moonraker/components/file_manager/metadata.py: ";Sliced by ideaMaker …,",
;";Print Time:", ";Material#N Used:", ";Filament Diameter #N:", ";Filament Type #N:") and
;RepRapFirmware's file-info parser (";Material#1 Used: 868.0") read them; Raise3D Pro2 sizes.
