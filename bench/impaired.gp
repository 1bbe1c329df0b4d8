# bench/results/impaired-latest.dat (written by bench/impaired.mjs) → impaired-latest.png:
# frames decoded per second of each viewer, per loss level on the lossy viewer's path.
set terminal pngcairo size 800,450 font "sans,10"
set output "bench/results/impaired-latest.png"
set title "frames decoded per second under loss (lossy viewer: 100 ms RTT + loss; capped: 300 kbit/s)"
set xlabel "packet loss on the lossy viewer's path (%, each way)"
set ylabel "frames decoded / s"
set grid
set key center right
set yrange [0:*]
set xtics (0, 2, 5, 10)
plot "bench/results/impaired-latest.dat" using 1:2 with linespoints lw 2 title "clean (direct)", \
     "" using 1:3 with linespoints lw 2 title "lossy (NACK/RTX)", \
     "" using 1:4 with linespoints lw 2 title "capped 300 kbit/s"
