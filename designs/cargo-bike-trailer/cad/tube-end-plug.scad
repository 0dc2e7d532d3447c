// Cargo Bike Trailer - end plug for 25x25x2 square tube
// Units: mm. Print in TPU 95A, 0.2 mm layers, 3 perimeters, 30 % infill, cap face down.
// Export: cad/tube-end-plug.stl (8 pieces per trailer: bed corners and drawbar end)

/* [Tube] */
tube      = 25;    // outer size of the square tube
wall      = 2;     // nominal wall; EN 10219 allows -10 %, so measure your stock
clearance = 0.2;   // per side; TPU grips with zero clearance, PETG needs 0.2-0.3

/* [Plug] */
cap_t      = 3;    // thickness of the visible cap
insert_len = 12;   // depth pushed into the tube

insert = tube - 2 * wall - 2 * clearance;

module plug() {
    // cap, flush with the tube outside
    cube([tube, tube, cap_t]);
    // insert, centred on the cap
    translate([(tube - insert) / 2, (tube - insert) / 2, cap_t])
        cube([insert, insert, insert_len]);
}

plug();
echo(str("insert section: ", insert, " x ", insert, " mm"));
