// Desktop CNC Router - gantry side plate (one left, one right; the right is mirrored)
// Units: mm. Material: 6061-T6 aluminium, 10 mm. Export 2D profile: cad/gantry-plate.dxf
//
// Coordinate system of the drawing: origin at the lower-left corner of the plate,
// X along the Y axis of the machine, Y up.

/* [Plate] */
plate_w   = 200;   // along the machine Y axis
plate_h   = 250;
thickness = 10;
corner_r  = 10;

/* [Y bearing blocks: SBR16UU] */
block_pitch  = 120;    // centre distance between the two blocks on one rail
block_hole_x = 32;     // hole pattern of one block; check against your supplier's drawing
block_hole_y = 30;
block_y      = 30;     // height of the block pattern centre above the plate bottom
m5_clear     = 5.5;    // ISO 273 medium

/* [Gantry beam: 2080 extrusion end, tapped M5 into the 4.2 mm core holes] */
beam_x     = 100;      // beam centre along the plate
beam_y0    = 150;      // lowest core hole
beam_pitch = 20;
beam_holes = 4;

/* [Y leadscrew nut block] */
nut_x     = 100;
nut_y     = 75;
nut_pitch = 24;        // two M5 screws into the nut block

$fn = 64;

module rounded_rect(w, h, r) {
    hull() for (x = [r, w - r], y = [r, h - r]) translate([x, y]) circle(r = r);
}

module plate_2d() {
    difference() {
        rounded_rect(plate_w, plate_h, corner_r);
        // bearing blocks
        for (bx = [plate_w / 2 - block_pitch / 2, plate_w / 2 + block_pitch / 2],
             dx = [-block_hole_x / 2, block_hole_x / 2],
             dy = [-block_hole_y / 2, block_hole_y / 2])
            translate([bx + dx, block_y + dy]) circle(d = m5_clear);
        // gantry beam
        for (i = [0 : beam_holes - 1])
            translate([beam_x, beam_y0 + i * beam_pitch]) circle(d = m5_clear);
        // leadscrew nut block
        for (dx = [-nut_pitch / 2, nut_pitch / 2])
            translate([nut_x + dx, nut_y]) circle(d = m5_clear);
        // lightening window, leaves at least 12 mm webs to the nearest hole
        translate([plate_w / 2 - 50, 95]) rounded_rect(100, 40, 8);
    }
}

show_3d = false;
if (show_3d) linear_extrude(height = thickness) plate_2d();
else plate_2d();
