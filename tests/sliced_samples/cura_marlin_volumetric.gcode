;FLAVOR:Marlin(Volumetric)
;TIME:600
;Filament used: 3623mm3
;Layer height: 0.1
;MINX:89.201
;MINY:89.201
;MINZ:0.3
;MAXX:133.799
;MAXY:133.799
;MAXZ:9.9
;Generated with Cura_SteamEngine 4.13.0
M82 ;absolute extrusion mode
;LAYER_COUNT:97
;LAYER:0
G1 X114.989 Y112.6 E10.5
;TIME_ELAPSED:600.2
;End of Gcode
;PrintDesk test sample. Shape: CuraEngine's header for its volumetric Marlin flavour, which
;states the filament in mm³ ("3623mm3") instead of metres (the flavour name and unit are the
;strings in Debian's CuraEngine 4.13 binary).
