/**
 * The gallery of `vae collect`: every sample in the folder, newest first, each with a delete
 * that asks once more before it acts. It looks again every few seconds, so a teacher watching
 * it sees a class's drawings come in.
 */
import { byId, el, forgetAddressToken } from './dom.js';

declare global {
  interface Window {
    galleryReady?: boolean;
  }
}

const REFRESH_MS = 4000;

function main(): void {
  forgetAddressToken();
  const token = document.querySelector('meta[name="vae-token"]')?.getAttribute('content') ?? '';
  const prompt = document.querySelector('meta[name="collect-prompt"]')?.getAttribute('content') ?? '';
  const list = byId<HTMLUListElement>('samples');
  const count = byId<HTMLElement>('count');
  const empty = byId<HTMLElement>('empty');
  document.title = `Collected “${prompt}”`;
  byId<HTMLElement>('gallery-prompt').textContent = `“${prompt}”`;

  const showCount = (): void => {
    const n = list.children.length;
    count.textContent = `${n} sample${n === 1 ? '' : 's'} in the folder`;
    empty.hidden = n > 0;
  };

  const item = (file: string): HTMLLIElement => {
    // The folder keeps MNIST's convention, ink bright on black; the gallery inverts it in CSS
    // (.sample-image) to show ink dark on white, as it was drawn and as every page of the
    // toolkit shows grey images, so a wrong drawing is recognized at a glance.
    // Lazy: a class's hundreds of samples are fetched as they scroll into view, not all at every visit.
    const image = el('img', { class: 'sample-image', loading: 'lazy', src: `/samples/${encodeURIComponent(file)}`, alt: `sample ${file}`, width: '128', height: '32' });
    const remove = el('button', { type: 'button', class: 'delete' }, 'Delete');
    const confirmBox = el('span', { class: 'confirm', hidden: '' }, el('span', { class: 'confirm-ask' }, 'Delete it?'));
    const yes = el('button', { type: 'button', class: 'danger confirm-yes' }, 'Yes, delete');
    const no = el('button', { type: 'button', class: 'confirm-no' }, 'Keep');
    const problem = el('span', { class: 'sample-error', role: 'alert' });
    confirmBox.append(yes, no);
    const li = el('li', { class: 'sample', 'data-file': file }, image, el('div', { class: 'sample-foot' }, el('span', { class: 'sample-name' }, file), remove, confirmBox), problem);
    remove.addEventListener('click', () => {
      remove.hidden = true;
      confirmBox.hidden = false;
      no.focus();
    });
    no.addEventListener('click', () => {
      confirmBox.hidden = true;
      remove.hidden = false;
    });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        const response = await fetch(`/api/samples/${encodeURIComponent(file)}`, { method: 'DELETE', headers: { 'x-vae-token': token }, cache: 'no-store' });
        if (response.ok || response.status === 404) {
          li.remove();
          showCount();
          return;
        }
        const answer = (await response.json().catch(() => ({}))) as { error?: string };
        problem.textContent = `Not deleted: ${answer.error ?? response.status}`;
      } catch {
        problem.textContent = 'Not deleted: the server cannot be reached';
      }
      yes.disabled = false;
    });
    return li;
  };

  const load = async (): Promise<void> => {
    const response = await fetch('/api/samples', { cache: 'no-store' });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const files = (await response.json()) as string[];
    const wanted = new Set(files);
    const shown = new Map<string, HTMLLIElement>();
    for (const li of [...list.querySelectorAll<HTMLLIElement>('li[data-file]')]) {
      const file = li.dataset.file!;
      if (wanted.has(file)) shown.set(file, li);
      else li.remove();
    }
    // Newest first: the server lists oldest first.
    let previous: HTMLLIElement | null = null;
    for (const file of [...files].reverse()) {
      const li = shown.get(file) ?? item(file);
      if (previous === null) {
        if (list.firstElementChild !== li) list.prepend(li);
      } else if (previous.nextElementSibling !== li) previous.after(li);
      previous = li;
    }
    showCount();
  };

  const poll = async (): Promise<void> => {
    try {
      await load();
      count.classList.remove('error');
    } catch {
      count.textContent = 'The server cannot be reached; is vae collect still running?';
      count.classList.add('error');
    }
  };
  void poll().then(() => {
    window.galleryReady = true;
    setInterval(() => {
      if (document.visibilityState === 'visible') void poll();
    }, REFRESH_MS);
  });
}

main();
