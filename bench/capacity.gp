# bench/results/capacity-latest.dat (written by capacity_bench) →
# bench/results/capacity-latest.png: loss, delay p99 and CPU per forwarded
# packet against the load, videoroom beside Janus; top row one publisher → N
# subscribers, bottom row rooms of 4 publishers. Blocks: 0 videoroom 1 → N,
# 1 Janus 1 → N, 2 videoroom rooms, 3 Janus rooms.
set terminal pngcairo size 1500,900 font "sans,10"
set output "bench/results/capacity-latest.png"
set grid
set key top left
set logscale x 2
set style data linespoints
f = "bench/results/capacity-latest.dat"
vr = "lc rgb '#2b6cb0' pt 7"
ja = "lc rgb '#c05621' pt 5"
set multiplot layout 2,3 title "Capacity of one node (server on one CPU, loopback): videoroom vs Janus VideoRoom"
do for [row = 0:1] {
  set xlabel (row == 0 ? "subscribers of one publisher" : "rooms of 4 publishers")
  # Each limit stays in sight (the y range reaches at least past it).
  set title "loss (%; limit 0.5)"
  set yrange [0:1<*]
  plot f index 2*row using 1:2 title "videoroom" @vr, \
       f index 2*row+1 using 1:2 title "Janus" @ja, \
       0.5 title "limit" dt 2 lc rgb "gray" with lines
  set title "delay p99, worst receiver (ms; limit 50)"
  set yrange [0:60<*]
  plot f index 2*row using 1:3 title "videoroom" @vr, \
       f index 2*row+1 using 1:3 title "Janus" @ja, \
       50 title "limit" dt 2 lc rgb "gray" with lines
  set title "server CPU per forwarded packet (µs)"
  set yrange [0:*]
  plot f index 2*row using 1:4 title "videoroom" @vr, \
       f index 2*row+1 using 1:4 title "Janus" @ja
}
unset multiplot
