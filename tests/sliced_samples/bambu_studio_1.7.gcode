; HEADER_BLOCK_START
; BambuStudio 01.07.06.92
; model printing time: 8m 57s; total estimated time: 15m 42s
; total layer number: 92
; model label id: 1379
; HEADER_BLOCK_END

; CONFIG_BLOCK_START
; filament_settings_id = "Bambu PLA Basic @BBL X1C"
; filament_type = PLA
; printer_settings_id = "Bambu Lab X1 Carbon 0.4 nozzle"
; CONFIG_BLOCK_END

; EXECUTABLE_BLOCK_START
M73 P0 R15
G1 X10 Y10 E0.5
; EXECUTABLE_BLOCK_END

; PrintDesk test sample. Shape: a real Bambu Studio 01.07.06.92 G-code (public GitHub repository
; ukdavewood/BambuLab, Gcode/Cube1.gcode): the older header gives only "model printing time" and
; "total estimated time", and no filament totals at all.
