import * as core from '@actions/core';
import { Output } from '../constants.ts';

type OutputName = (typeof Output)[keyof typeof Output];

/** Collects the outputs during the run and sets every one of them exactly once, in every outcome. */
export class Outputs {
  private readonly values = new Map<OutputName, string>();

  set(name: OutputName, value: string | number | boolean | undefined): void {
    if (value !== undefined) this.values.set(name, String(value));
  }

  flush(redact: (s: string) => string): void {
    for (const name of Object.values(Output)) core.setOutput(name, redact(this.values.get(name) ?? ''));
  }
}
