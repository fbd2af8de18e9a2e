; KISSlicer - FREE
; Windows
; version 2 a 2.0.6 Win64
; Built: May 23 2020, 15:05:59
; Running on 24 cores
;
; Saved: 2021-09-03 12:49:09
; 'kisslicer.2.0.6.gcode'
;
; *** Printer Settings ***
;
; printer_name = Lab Prusa MK3S
; num_extruders = 1
; bed_size_x_mm = 250
;
; *** Material Settings for Extruder 1 ***
;
; material_name = Generic PETG
; temperature_C = 240
; cost_per_cm3 = 0.04
; fiber_dia_mm = 1.75
;
; *** Main G-code ***
;
; BEGIN_LAYER_OBJECT z=0.263 z_thickness=0.263
G1 X68.4 Y75.674 Z0.313 E0 F9000
G1 X67.989 Y75.775 E0.02083
; END_LAYER_OBJECT z=5.000
;
; Calculated-during-export Build Time: 10.16 minutes
; Estimated-in-GUI Build Time:         10.18 minutes
; Estimated-in-GUI Build Cost:         $0.03
;
; Filament used per extruder:
;    Ext #1  =   305.09 mm  (0.734 cm^3)
;
; Total estimated (pre-cool) minutes: 7.99
; PrintDesk test sample. Shape: a real KISSlicer 2.0.6 G-code (public GitHub repository, a
; 'kisslicer.2.0.6.gcode' test print), trimmed: its settings header and its end totals
; ("Calculated-during-export Build Time", "Ext #1 = … mm (… cm^3)") kept as written.
