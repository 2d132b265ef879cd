/** The live training dashboard: a page that follows `vae train --ui` through server-sent events. */
import { byId, classLegend, digitCanvas, el, forgetAddressToken, formatDuration, paintImage, postToServer, shapeCanvas } from './dom.js';
import { drawLossChart, type LossSeries } from './line-chart.js';
import { Scatter } from './scatter.js';

interface RunEvent {
  dir: string;
  dataset: string;
  trainCount: number;
  testCount: number;
  architecture: string;
  /** The model in words, e.g. "MLP VAE 784-400-2, Bernoulli decoder". */
  model: string;
  latent: number;
  epochs: number;
  startEpoch: number;
  height: number;
  width: number;
  pointLabels: number[];
  digits: number[];
  digitLabels: number[];
  /** The run's data: channels (CHW images), class names, and the noun to use. */
  channels: number;
  classNames: string[];
  noun: 'digit' | 'image';
}

interface ProgressEvent {
  epoch: number;
  epochs: number;
  batch: number;
  batchesPerEpoch: number;
  step: number;
  runningLoss: number;
  samplesPerSec: number;
  etaSeconds: number;
}

interface EpochEvent {
  epoch: number;
  step: number;
  train_nelbo: number;
  train_recon: number;
  train_kl: number;
  test_nelbo: number;
  test_recon: number;
  test_kl: number;
  seconds: number;
}

interface SnapshotEvent {
  step: number;
  epoch: number;
  xy: number[];
  recon: number[];
}

interface EndEvent {
  status: 'done' | 'stopped' | 'failed';
  message: string;
  checkpointEpoch: number;
  dir: string;
}

const losses: LossSeries = { steps: [], train: [], test: [] };
let run: RunEvent | null = null;
let progressEvents = 0;
let lastEpoch = 0;
let currentEpoch = 0;
let noun = 'image';
let channels = 1;
const scatter = new Scatter('z\u2081', 'z\u2082', 'latent space of the test images');
const reconCanvases: HTMLCanvasElement[] = [];
const lossCanvas = el('canvas', { class: 'chart', role: 'img', 'aria-label': 'loss curve' });

function layout(): void {
  const lossBox = byId('loss-box');
  drawLossChart(lossCanvas, lossBox.clientWidth, Math.min(300, Math.max(200, lossBox.clientWidth * 0.55)), losses);
  scatter.resize(Math.min(byId('scatter-box').clientWidth, 440));
}

function onRun(r: RunEvent): void {
  run = r;
  const data = { channels: r.channels, classNames: r.classNames, noun: r.noun };
  noun = data.noun;
  channels = data.channels;
  for (const e of document.querySelectorAll('.nouns')) e.textContent = `${noun}s`;
  for (const e of document.querySelectorAll('.noun')) e.textContent = noun;
  byId('lede-item').textContent = `${channels === 3 ? 'colour ' : ''}${noun}s`;
  const classes = Math.max(data.classNames.length, r.pointLabels.reduce((m, l) => Math.max(m, l + 1), 0));
  byId('legend').replaceChildren(classes > 1 ? classLegend(data.classNames, classes) : '');
  byId('scatter-hint-count').textContent = `${r.pointLabels.length.toLocaleString('en-US')} test ${noun}s`;
  scatter.root.querySelector('.scatter-overlay')?.setAttribute('aria-label', `latent space of ${r.pointLabels.length.toLocaleString('en-US')} test ${noun}s`);
  const facts = [
    r.model,
    `${r.trainCount.toLocaleString('en-US')} training ${noun}s from ${r.dataset}`,
    `${r.epochs} epoch${r.epochs === 1 ? '' : 's'}`,
    `run folder ${r.dir}`,
  ];
  byId('run-facts').textContent = facts.join(' \u00b7 ');
  if (r.latent > 2) scatter.setAxisNames(`z1 (first of ${r.latent})`, 'z2');
  if (r.latent === 1) scatter.setAxisNames('z1', '(unused)');
  const box = byId('recon');
  box.replaceChildren();
  reconCanvases.length = 0;
  const size = channels * r.height * r.width;
  const row = (label: string): HTMLElement => el('div', { class: 'recon-row' }, el('span', { class: 'recon-label' }, label));
  const originals = row(`test ${noun}`);
  const recons = row('reconstruction');
  for (let i = 0; i < r.digitLabels.length; i++) {
    const o = shapeCanvas(digitCanvas(40), r.width, r.height);
    paintImage(o, r.digits.slice(i * size, (i + 1) * size), channels, r.width, r.height, 255);
    originals.append(o);
    const c = shapeCanvas(digitCanvas(40), r.width, r.height);
    c.classList.add('recon-digit');
    reconCanvases.push(c);
    recons.append(c);
  }
  box.append(originals, recons);
  byId('stop').removeAttribute('disabled');
}

function onProgress(p: ProgressEvent): void {
  progressEvents++;
  currentEpoch = p.epoch;
  document.body.dataset.progressEvents = String(progressEvents);
  byId('progress-text').textContent =
    `Epoch ${p.epoch} of ${p.epochs} \u00b7 batch ${p.batch} of ${p.batchesPerEpoch} \u00b7 loss ${p.runningLoss.toFixed(1)} \u00b7 ${p.samplesPerSec.toLocaleString('en-US')} ${noun}s/s`;
  byId('eta').textContent = `step ${p.step.toLocaleString('en-US')} \u00b7 about ${formatDuration(p.etaSeconds)} left`;
  byId('bar-epoch').style.width = `${(100 * p.batch) / p.batchesPerEpoch}%`;
  const done = (p.epoch - 1 + p.batch / p.batchesPerEpoch) / p.epochs;
  byId('bar-run').style.width = `${100 * done}%`;
  if (lastEpoch === 0) byId('stop-hint').textContent = 'Stops after the current step. No epoch has finished yet, so stopping now keeps no checkpoint.';
}

function onEpoch(m: EpochEvent): void {
  lastEpoch = Math.max(lastEpoch, m.epoch);
  losses.train.push([m.step, m.train_nelbo]);
  losses.test.push([m.step, m.test_nelbo]);
  byId('epochs').append(
    el(
      'tr',
      {},
      el('td', {}, String(m.epoch)),
      el('td', {}, m.train_nelbo.toFixed(2)),
      el('td', {}, m.test_nelbo.toFixed(2)),
      el('td', {}, m.test_recon.toFixed(2)),
      el('td', {}, m.test_kl.toFixed(2)),
      el('td', {}, `${m.seconds.toFixed(1)} s`),
    ),
  );
  byId('stop-hint').textContent = `Stops after the current step and keeps the checkpoint of epoch ${lastEpoch}.`;
  document.body.dataset.epochs = String(lastEpoch);
  layout();
}

function onSnapshot(s: SnapshotEvent): void {
  if (run === null) return;
  scatter.setPoints(s.xy, run.pointLabels);
  byId('scatter-step').textContent = `at step ${s.step.toLocaleString('en-US')}`;
  byId('recon-step').textContent = `at step ${s.step.toLocaleString('en-US')}`;
  const size = channels * run.height * run.width;
  reconCanvases.forEach((c, i) => paintImage(c, s.recon.slice(i * size, (i + 1) * size), channels, run!.width, run!.height, 255));
  document.body.dataset.snapshotStep = String(s.step);
}

function onEnd(e: EndEvent, source: EventSource): void {
  source.close();
  const end = byId('end');
  const verdict =
    e.status === 'done'
      ? `Training finished: ${e.message}.`
      : e.status === 'stopped'
        ? `Training stopped during epoch ${currentEpoch}.`
        : `Training failed: ${e.message}.`;
  // A finished run's server stays up with its explorer on the final model; a stopped or failed one exits.
  const kept =
    e.checkpointEpoch === 0
      ? ' No epoch was completed, so there is no checkpoint.'
      : e.status === 'done'
        ? ` The checkpoint is in ${e.dir}. The Explorer link above shows the final model; this server stays up until Ctrl-C in the terminal.`
        : ` The checkpoint of epoch ${e.checkpointEpoch} is in ${e.dir}; explore it with: vae serve --run ${e.dir}`;
  end.textContent = verdict + kept;
  end.className = `end ${e.status}`;
  end.hidden = false;
  byId('stop').setAttribute('disabled', '');
  byId('stop').textContent = e.status === 'done' ? 'Finished' : 'Stopped';
  byId('eta').textContent = '';
  byId('stop-hint').textContent = '';
  document.body.dataset.ended = e.status;
}

function connect(): void {
  const source = new EventSource('/api/events');
  const on = <T>(type: string, handle: (data: T) => void): void =>
    source.addEventListener(type, (ev) => handle(JSON.parse((ev as MessageEvent<string>).data) as T));
  on<RunEvent>('run', onRun);
  on<{ points: [number, number][]; reset?: boolean }>('losses', (d) => {
    if (d.reset === true) losses.steps = [];
    losses.steps.push(...d.points);
    drawLossChart(lossCanvas, byId('loss-box').clientWidth, lossCanvas.clientHeight || 240, losses);
  });
  on<ProgressEvent>('progress', onProgress);
  on<EpochEvent>('epoch', (m) => {
    if (!losses.train.some((p) => p[0] === m.step)) onEpoch(m);
  });
  on<SnapshotEvent>('snapshot', onSnapshot);
  on<EndEvent>('end', (e) => onEnd(e, source));
  source.addEventListener('error', () => {
    if (document.body.dataset.ended === undefined) byId('eta').textContent = 'connection lost; retrying\u2026';
  });
}

byId('scatter-box').append(scatter.root);
byId('loss-box').append(lossCanvas);
byId('stop').addEventListener('click', async () => {
  const button = byId<HTMLButtonElement>('stop');
  button.disabled = true;
  button.textContent = 'Stopping\u2026';
  const res = await postToServer('/api/stop');
  if (!res.ok) button.textContent = 'Not running';
});
forgetAddressToken();
window.addEventListener('resize', layout);
layout();
connect();
