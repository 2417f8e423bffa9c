/**
 * A star rating as a group of five native radio buttons (one per star): Tab reaches the group, the arrow keys
 * move between stars and rate, Space or a click rates; screen readers hear "Rate <title>, 4 stars".
 */
let groups = 0;

/**
 * @example list.append(starRating('Toy Story (1995)', 0, (stars) => rate(1, stars)));
 */
export function starRating(
  title: string,
  value: number,
  onRate: (stars: number) => void,
): HTMLFieldSetElement {
  const group = document.createElement('fieldset');
  group.className = 'stars';
  const name = `stars-${++groups}`;
  const legend = document.createElement('legend');
  legend.className = 'visually-hidden';
  legend.textContent = `Rate ${title}`;
  group.append(legend);
  const labels: HTMLLabelElement[] = [];
  const paint = (stars: number): void => {
    labels.forEach((label, i) => label.classList.toggle('on', i < stars));
    group.dataset.rating = String(stars);
  };
  for (let stars = 1; stars <= 5; stars++) {
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = name;
    input.value = String(stars);
    input.id = `${name}-${stars}`;
    input.className = 'visually-hidden';
    input.checked = stars === value;
    input.setAttribute('aria-label', `${stars} star${stars > 1 ? 's' : ''}`);
    input.addEventListener('change', () => {
      paint(stars);
      onRate(stars);
    });
    const label = document.createElement('label');
    label.htmlFor = input.id;
    label.title = `${stars} star${stars > 1 ? 's' : ''}`;
    label.setAttribute('aria-hidden', 'true');
    label.textContent = '★';
    labels.push(label);
    group.append(input, label);
  }
  paint(value);
  return group;
}

/**
 * Shows `stars` on every rating widget of a movie under `root` (the same movie can be in several lists).
 * @example syncStars(document.body, 1, 5);
 */
export function syncStars(root: ParentNode, movieId: number, stars: number): void {
  for (const group of root.querySelectorAll<HTMLFieldSetElement>(`[data-id="${movieId}"] fieldset.stars`)) {
    group.dataset.rating = String(stars);
    group.querySelectorAll('input').forEach((input) => (input.checked = Number(input.value) === stars));
    group.querySelectorAll('label').forEach((label, i) => label.classList.toggle('on', i < stars));
  }
}
