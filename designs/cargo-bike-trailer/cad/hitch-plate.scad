// Cargo Bike Trailer - axle hitch plate (2D profile for laser or plasma cutting)
// Units: mm. Material: S355 steel plate, 5 mm. Export: cad/hitch-plate.dxf
//
// The plate sits between the left rear dropout and the quick-release lever
// (or the axle nut). The drawbar clevis pivots on an M8x40 bolt through the
// pivot hole; a polyester safety strap loops through the small middle hole.

/* [Plate] */
thickness    = 5;     // informative: plate thickness for the cutting order
pivot_offset = 60;    // axle centre to pivot centre
end_radius   = 16;    // outer radius around both holes

/* [Holes] */
axle_hole  = 10.5;    // fits 5 mm QR skewer with 10 mm hollow-axle end, or M10x1 solid axle
pivot_hole = 8.5;     // M8 clearance, medium fit (ISO 273)
strap_hole = 6.5;     // safety strap / spare M6
kerf_comp  = 0;       // set to half the kerf if your cutter does not compensate

$fn = 96;

module outline() {
    hull() {
        circle(r = end_radius);
        translate([pivot_offset, 0]) circle(r = end_radius);
    }
}

module hitch_plate_2d() {
    offset(delta = kerf_comp) difference() {
        outline();
        circle(d = axle_hole);
        translate([pivot_offset, 0]) circle(d = pivot_hole);
        translate([pivot_offset / 2, 0]) circle(d = strap_hole);
    }
}

// 2D for DXF export (F6, then File > Export > DXF).
// Set preview_3d = true to check the plate against the frame model.
preview_3d = false;

if (preview_3d)
    linear_extrude(height = thickness) hitch_plate_2d();
else
    hitch_plate_2d();
