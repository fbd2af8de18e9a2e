;FLAVOR:Marlin
;TIME:5025
;Filament used: 1.2m, 0.3m
;Layer height: 0.2
;MINX:-38.5
;MINY:-38.5
;MINZ:0.2
;MAXX:38.5
;MAXY:38.5
;MAXZ:20.2
;Generated with Cura_SteamEngine 5.2.1
M82 ;absolute extrusion mode
G92 E0
;LAYER_COUNT:101
;LAYER:0
G1 X15.947 Y-38.5 E1.5
;TIME_ELAPSED:5025.3
;End of Gcode
;PrintDesk test sample. Shape: a real Cura 4.10 Marlin header (public GitHub repository
;lhalb/cura_g-code_converter, data/hex2.gcode: ";Filament used: 0.413716m") with two extruders,
;which CuraEngine's header writer lists comma separated, in metres.
