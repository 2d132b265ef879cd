/**
 * The engine's switch between kernel providers. It lives in the engine, not in kernels/, so
 * that kernels never import the engine: the providers know nothing of tensors.
 */
import { selectKernels, type KernelChoice, type KernelSelection } from '../kernels/select.js';
import { setKernels } from './tensor.js';

/**
 * Selects kernels and makes every op of the engine run on them from now on: the library's
 * one switch (`useKernels('native')`), and what each CLI command does with --kernels.
 */
export function useKernels(choice: KernelChoice = 'auto'): KernelSelection {
  const selection = selectKernels(choice);
  setKernels(selection.kernels);
  return selection;
}
