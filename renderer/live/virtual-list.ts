// A list that keeps only the rows in view (plus a few) in the DOM: fixed-height rows positioned
// by CSSOM transforms (allowed under a strict CSP), reused as the user scrolls.
export interface VirtualList<T> {
  element: HTMLElement;
  setItems(items: T[]): void;
  scrollToTop(): void;
  /** True while the user is looking at the newest rows. */
  atTop(): boolean;
}

export function virtualList<T>(options: {
  rowHeight: number;
  label: string;
  render(row: HTMLElement, item: T, index: number): void;
  onScroll?(): void;
}): VirtualList<T> {
  const { rowHeight } = options;
  const viewport = document.createElement('div');
  viewport.className = 'vlist';
  viewport.tabIndex = 0;
  viewport.setAttribute('role', 'list');
  viewport.setAttribute('aria-label', options.label);
  const spacer = document.createElement('div');
  spacer.className = 'vlist-spacer';
  viewport.append(spacer);
  const pool: HTMLElement[] = [];
  let items: T[] = [];
  let frame = 0;

  function draw(): void {
    frame = 0;
    spacer.style.height = `${items.length * rowHeight}px`;
    const height = viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(viewport.scrollTop / rowHeight) - 5);
    const count = Math.min(items.length - first, Math.ceil(height / rowHeight) + 10);
    while (pool.length < count) {
      const row = document.createElement('div');
      row.className = 'vrow';
      row.setAttribute('role', 'listitem');
      spacer.append(row);
      pool.push(row);
    }
    for (let i = 0; i < pool.length; i++) {
      const row = pool[i]!;
      if (i < count) {
        row.hidden = false;
        row.style.transform = `translateY(${(first + i) * rowHeight}px)`;
        options.render(row, items[first + i]!, first + i);
      } else {
        row.hidden = true;
      }
    }
  }

  function schedule(): void {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  viewport.addEventListener('scroll', () => {
    schedule();
    options.onScroll?.();
  });
  new ResizeObserver(schedule).observe(viewport);

  return {
    element: viewport,
    setItems(next) {
      items = next;
      // Callers already batch per frame; drawing now keeps rows and counters in step.
      if (frame) cancelAnimationFrame(frame);
      draw();
    },
    scrollToTop() {
      viewport.scrollTop = 0;
    },
    atTop: () => viewport.scrollTop < rowHeight,
  };
}
