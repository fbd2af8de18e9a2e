;FLAVOR:UltiGCode
;TIME:2256
;MATERIAL:3623
;MATERIAL2:0
;NOZZLE_DIAMETER:0.4
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
G1 F1800 X114.989 Y112.6 E0.18617
;TIME_ELAPSED:2256.226923
;End of Gcode
;PrintDesk test sample. Shape: what Debian's CuraEngine 4.13 writes with Cura's ultimaker2
;definition (";FLAVOR:UltiGCode", ";MATERIAL:" in mm³), with the placeholders 6666 replaced by the
;values it reported on stderr, as the Cura front end does (Print time (s): 2256,
;Filament (mm^3): 3623).
