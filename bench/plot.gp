# bench/results/latest.dat (written by compare_bench) → bench/results/latest.png:
# CPU per forwarded packet and p99 delay, videoroom beside Janus, per scenario.
set terminal pngcairo size 1200,500 font "sans,10"
set output "bench/results/latest.png"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
set grid ytics
set key top right
# Bars from zero, so their lengths compare as the figures do.
set yrange [0:*]
set multiplot layout 1,2 title "videoroom vs Janus VideoRoom (same load, loopback, server on one CPU)"
set title "server CPU per forwarded packet (µs, lower is better)"
plot "bench/results/latest.dat" using 2:xtic(1) title "videoroom" lc rgb "#2b6cb0", \
     "" using 3 title "Janus" lc rgb "#c05621"
set title "forwarding delay p99 (ms, lower is better)"
plot "bench/results/latest.dat" using 4:xtic(1) title "videoroom" lc rgb "#2b6cb0", \
     "" using 5 title "Janus" lc rgb "#c05621"
unset multiplot
