// The grid that fills the window: for n tiles of a fixed aspect ratio (16:9) in
// a box, the number of columns that makes the tiles largest (as Jitsi and Meet
// lay out up to 9 people). Phone-sized boxes get one column and scroll.

export type GridFit = { cols: number; rows: number; tileWidth: number; tileHeight: number };

export const PHONE_MAX_WIDTH = 600;

export function bestGrid(n: number, width: number, height: number, gap: number, aspect = 16 / 9): GridFit {
  const count = Math.max(1, n);
  let best: GridFit = { cols: 1, rows: count, tileWidth: 0, tileHeight: 0 };
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    const byWidth = (width - gap * (cols - 1)) / cols;
    const byHeight = ((height - gap * (rows - 1)) / rows) * aspect;
    const w = Math.floor(Math.max(0, Math.min(byWidth, byHeight)));
    if (w > best.tileWidth) best = { cols, rows, tileWidth: w, tileHeight: Math.floor(w / aspect) };
  }
  return best;
}

// Keeps `grid`'s columns sized to its box and its number of tiles.
export function fitGrid(grid: HTMLElement): void {
  const apply = () => {
    const n = grid.children.length;
    const style = getComputedStyle(grid);
    const gap = parseFloat(style.columnGap) || 0;
    if (window.innerWidth <= PHONE_MAX_WIDTH || n === 0) {
      grid.style.gridTemplateColumns = "minmax(0, 1fr)";
      grid.dataset.cols = "1";
      return;
    }
    const fit = bestGrid(n, grid.clientWidth, grid.clientHeight, gap);
    grid.style.gridTemplateColumns = `repeat(${fit.cols}, ${fit.tileWidth}px)`;
    grid.dataset.cols = String(fit.cols);
  };
  new ResizeObserver(apply).observe(grid);
  new MutationObserver(apply).observe(grid, { childList: true });
  window.addEventListener("resize", apply);
  apply();
}
