import { describe, expect, test } from 'vitest';
import { fmt, formatValue, labelWidth, linearAxis, logAxis, seriesKind, stepAxis } from '../../src/state/chartMath';

describe('linear axis: nice ticks, compact labels', () => {
  test('the range the issue showed clipped (3.07e-4 … 3.22e-4): exponent labels, every tick distinct', () => {
    const a = linearAxis(3.07e-4, 3.22e-4);
    expect(a.labels).toEqual(['3.05e-4', '3.1e-4', '3.15e-4', '3.2e-4', '3.25e-4']);
    expect(a.domain[0]).toBeLessThanOrEqual(3.07e-4);
    expect(a.domain[1]).toBeGreaterThanOrEqual(3.22e-4);
  });
  test('ticks are multiples of 1, 2 or 5 × 10^k, without binary noise, covering the data', () => {
    expect(linearAxis(0.5, 0.72).ticks).toEqual([0.5, 0.6, 0.7, 0.8]);
    expect(linearAxis(0.1, 0.3, 2).ticks).toEqual([0.1, 0.2, 0.3]);
    const loss = linearAxis(4.0, 4.587);
    expect(loss.ticks).toEqual([4, 4.2, 4.4, 4.6]);
    expect(loss.labels).toEqual(['4.0', '4.2', '4.4', '4.6']);
  });
  test('small values stay plain while short (0.0003), go to exponent form when longer (2.5e-4)', () => {
    expect(linearAxis(0, 3e-4, 3).labels).toEqual(['0', '0.0001', '0.0002', '0.0003']);
    expect(linearAxis(2.5e-4, 3.5e-4, 2).labels).toEqual(['2.5e-4', '3e-4', '3.5e-4']);
  });
  test('negative ticks get a minus and never "-0"; large ones an exponent without "+"', () => {
    expect(linearAxis(-0.006827, 0.002347).labels).toEqual(['-0.010', '-0.005', '0', '0.005']);
    expect(linearAxis(1.2e5, 1.8e5, 3).labels).toEqual(['1.2e5', '1.4e5', '1.6e5', '1.8e5']);
  });
  test('a zero-width range is widened around its value, never divided by', () => {
    const a = linearAxis(0.02, 0.02);
    expect(a.domain[0]).toBeLessThan(0.02);
    expect(a.domain[1]).toBeGreaterThan(0.02);
    expect(linearAxis(0, 0).domain).toEqual([-1, 1]);
  });
});

describe('log axis', () => {
  test('across decades: the powers of ten (1, 2, 5 between them when there are few), inside the data', () => {
    expect(logAxis(0.001, 1).labels).toEqual(['0.001', '0.01', '0.1', '1']);
    expect(logAxis(0.15, 3).ticks).toEqual([0.2, 0.5, 1, 2]);
    expect(logAxis(1e-6, 1e-4).labels).toEqual(['1e-6', '2e-6', '5e-6', '1e-5', '2e-5', '5e-5', '0.0001']);
  });
  test('within a decade the linear ticks, all positive', () => {
    expect(logAxis(4.0, 4.587).ticks).toEqual([4, 4.2, 4.4, 4.6]);
    const a = logAxis(0.05, 0.4);
    expect(a.ticks.every((t) => t > 0)).toBe(true);
    expect(a.domain[0]).toBeGreaterThan(0);
  });
});

describe('step axis', () => {
  test('nice multiples inside 1…n, and 1 itself when no multiple is near it', () => {
    expect(stepAxis(16).ticks).toEqual([1, 5, 10, 15]);
    expect(stepAxis(3).ticks).toEqual([1, 2, 3]);
    expect(stepAxis(2).ticks).toEqual([1, 2]);
    expect(stepAxis(300).ticks).toEqual([1, 100, 200, 300]);
    expect(stepAxis(1).ticks).toEqual([1]);
  });
});

describe('numbers on their own and in the readout', () => {
  test('formatValue: 3 significant digits, no padding zeros, exponent for the very small', () => {
    expect(formatValue(0.02)).toBe('0.02');
    expect(formatValue(0.52083)).toBe('0.521');
    expect(formatValue(3.07e-4)).toBe('3.07e-4');
    expect(formatValue(163.9)).toBe('164');
    expect(formatValue(-0.001003)).toBe('-0.001');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(NaN)).toBe('–');
  });
  test('fmt keeps three significant digits below 1 (a learning rate of 0.0016 does not read 0.002)', () => {
    expect(fmt(0.0016)).toBe('0.00160');
    expect(fmt(0.5)).toBe('0.500');
    expect(fmt(4.1034)).toBe('4.103');
    expect(fmt(3.07e-4)).toBe('3.07e-4');
  });
});

describe('what a series calls for', () => {
  test('one point per run is a value, one value throughout a constant, else a curve', () => {
    expect(seriesKind([[]])).toBe('empty');
    expect(seriesKind([[0.72]])).toBe('value');
    expect(seriesKind([[0.72], [0.7]])).toBe('value');
    expect(seriesKind([[NaN, 0.72]])).toBe('value');
    expect(seriesKind([[0.02, 0.02, 0.02]])).toBe('constant');
    expect(seriesKind([[0, 0, 0]])).toBe('constant');
    expect(seriesKind([[0.02, 0.02], [0.02]])).toBe('constant');
    expect(seriesKind([[1, 2]])).toBe('curve');
    expect(
      seriesKind([
        [0.02, 0.02],
        [0.05, 0.05],
      ]),
    ).toBe('curve');
  });
});

describe('label width estimate', () => {
  test('errs wide of DejaVu Sans (digit 0.636 em, "." 0.318 em, "e" 0.615 em, "-" 0.361 em)', () => {
    const dejavu = (s: string) => [...s].reduce((w, ch) => w + ({ '.': 0.318, e: 0.615, '-': 0.361 }[ch] ?? 0.636), 0);
    for (const label of ['3.05e-4', '0.0003', '-0.010', '12345', '4.51245']) expect(labelWidth(label, 12)).toBeGreaterThanOrEqual(dejavu(label) * 12);
  });
});
