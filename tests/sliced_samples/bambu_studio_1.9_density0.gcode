; HEADER_BLOCK_START
; BambuStudio 01.09.07.52
; estimated printing time (normal mode) = 1h 2m 3s
; total layer number: 50
; total filament length [mm] : 5123.40
; total filament volume [cm^3] : 12323.22
; total filament weight [g] : 0.00
; filament_density: 0
; filament_diameter: 1.75
; max_z_height: 10.00
; HEADER_BLOCK_END

; CONFIG_BLOCK_START
; curr_bed_type = Textured PEI Plate
; filament_density = 0
; filament_diameter = 1.75
; filament_settings_id = "Bambu PETG Basic @BBL P1S"
; filament_type = PETG
; layer_height = 0.2
; printer_model = Bambu Lab P1S
; printer_settings_id = "Bambu Lab P1S 0.4 nozzle"
; CONFIG_BLOCK_END

; EXECUTABLE_BLOCK_START
M73 P0 R62
G90
M83 ; use relative distances for extrusion
; CHANGE_LAYER
; Z_HEIGHT: 0.2
G1 X92.034 Y92.699 F7200
G1 X93.079 Y91.83 E.04034
G1 X94 Y91.643 E.02791
M73 P100 R0
; EXECUTABLE_BLOCK_END

; PrintDesk test sample. Shape: a real Bambu Studio 01.09.07.52 plate_1.gcode (public GitHub
; repository anandijain/printsim, tests/square_ring/sliced/plate_1.gcode): header block with
; "estimated printing time (normal mode)", the "volume [cm^3]" line holding mm³ (length 5123.40 mm
; x 2.405 mm² = 12323.22), and a profile whose filament density is 0, hence "weight [g] : 0.00".
