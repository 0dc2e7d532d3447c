// Gravity Water Filter - plywood stand
// Raises the filter so a 10 L jerrycan standing on the floor fits under the tap, and keeps
// the buckets off a damp floor. Put the lower bucket at the front edge so the tap overhangs.
// Units: mm. Panels: 18 mm BS 1088 marine plywood, finished with food-safe hard wax oil.
// Joints: M8x40 hex bolts through the side panels into M8 cross dowels in the shelf ends.
// Side panel profile (cut on a CNC router, 6 mm cutter): cad/stand-side.dxf

/* [Panels] */
ply      = 18;
side_w   = 340;    // depth of the stand
side_h   = 450;
shelf_w  = 420;    // between the side panels; a 20 L bucket is about 300 mm across
shelf_z  = [60, 412];   // underside of the lower and top shelves (top shelf 20 mm below the top)

/* [Details] */
bolt_d     = 8.5;  // M8 clearance
bolt_inset = 60;   // bolt centres from the front and back edges
dowel_d    = 10;   // cross dowel bore in the shelf, 20 mm from the shelf end
handle_l   = 100;
handle_h   = 30;
handle_z   = 340;
foot_relief_r = 120;   // arch cut-out at the bottom leaves two feet
foot_relief_h = 40;

module side_panel_2d() {
    difference() {
        square([side_w, side_h]);
        // bolt holes, two per shelf
        for (z = shelf_z, x = [bolt_inset, side_w - bolt_inset])
            translate([x, z + ply / 2]) circle(d = bolt_d, $fn = 32);
        // hand hold
        translate([side_w / 2, handle_z]) hull()
            for (dx = [-(handle_l - handle_h) / 2, (handle_l - handle_h) / 2])
                translate([dx, 0]) circle(d = handle_h, $fn = 48);
        // arch between the feet
        intersection() {
            translate([side_w / 2, foot_relief_h - foot_relief_r]) circle(r = foot_relief_r, $fn = 96);
            translate([0, -1]) square([side_w, foot_relief_h + 1]);
        }
    }
}

// Shelf with cross-dowel bores; also drill 8.5 mm x 35 mm into each shelf end edge,
// in line with the side panel holes, for the bolts.
module shelf() {
    difference() {
        cube([shelf_w, side_w, ply]);
        for (x = [20, shelf_w - 20], y = [bolt_inset, side_w - bolt_inset])
            translate([x, y, -1]) cylinder(d = dowel_d, h = ply + 2, $fn = 32);
    }
}

view = "assembly";   // "assembly" or "side_panel"

if (view == "side_panel") side_panel_2d();
else {
    color("burlywood") {
        rotate([90, 0, 90]) linear_extrude(ply) side_panel_2d();
        translate([ply + shelf_w, 0, 0]) rotate([90, 0, 90]) linear_extrude(ply) side_panel_2d();
        for (z = shelf_z) translate([ply, 0, z]) shelf();
    }
    // lower bucket on the top shelf (about 300 mm diameter, 380 mm high)
    %translate([ply + shelf_w / 2, side_w / 2, shelf_z[1] + ply]) cylinder(d = 300, h = 380);
}
