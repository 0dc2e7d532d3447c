// Small Wind Turbine 1.8 m - blade (three per rotor), carved by hand from an 800 x 150 x 47 board
// Units: mm, degrees. Design tip speed ratio 6, design angle of attack 5 deg.
// Chord is linearised between r = 250 and the tip so it can be marked with a straight edge.
// Blade angles follow the Schmitz optimum, capped at 12 deg inboard so the twisted section
// still fits a 47 mm board (costs under 2 % of power). The root block stays square.
// The station table is also drawn in images/blade-stations.svg for use in the workshop.

// [radius, chord, thickness, blade angle]
stations = [
    [150, 150, 47,  0.0],   // root block, clamped between the plywood hub plates
    [250, 130, 20, 12.0],
    [350, 118, 18, 10.5],
    [450, 107, 15,  7.3],
    [550,  95, 13,  5.2],
    [650,  84, 11,  3.7],
    [750,  72,  9,  2.5],
    [900,  55,  7,  1.3],
];

pitch_axis = 0.3;   // twist axis as a fraction of chord from the leading edge

// Flat-bottomed section, leading edge at x = 0, trailing edge at x = 1, max thickness at 0.3.
// The flat (pressure) face is the face that meets the wind.
section = [
    [0.00, 0.00], [0.05, 0.45], [0.15, 0.85], [0.30, 1.00], [0.50, 0.90],
    [0.70, 0.62], [0.90, 0.25], [1.00, 0.05], [1.00, 0.00]
];

module station_slice(s) {
    r = s[0]; c = s[1]; t = s[2]; beta = s[3];
    translate([0, 0, r])
        rotate([0, 0, beta])
            translate([-pitch_axis * c, 0, 0])
                linear_extrude(height = 0.1) {
                    if (beta == 0) square([c, t]);        // untouched root block
                    else scale([c, t]) polygon(section);
                }
}

module blade() {
    for (i = [0 : len(stations) - 2])
        hull() {
            station_slice(stations[i]);
            station_slice(stations[i + 1]);
        }
}

blade();

// Workshop table in the console
for (s = stations)
    echo(str("r=", s[0], "  chord=", s[1], "  thickness=", s[2], "  angle=", s[3], " deg",
             "  trailing-edge drop=", round(s[1] * sin(s[3]) * 10) / 10, " mm"));
