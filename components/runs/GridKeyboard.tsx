'use client';
import { type KeyboardEvent, type ReactNode, useEffect, useRef } from 'react';

const MOVES: Record<string, [number, number]> = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };

/**
 * One tab stop for the whole grid (a hundred cells would be a hundred Tab presses): the arrow keys
 * move between cells, Home / End to the oldest / newest run. Cells carry data-row and data-col.
 */
export function GridKeyboard({ children }: { children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  // The cell that takes the tab stop, by step row and run id (columns shift as new runs arrive).
  const active = useRef<{ row: string; run: string } | null>(null);

  const cells = (): HTMLElement[] => Array.from(box.current?.querySelectorAll<HTMLElement>('[data-row][data-col]') ?? []);
  const settle = (target: HTMLElement | undefined) => {
    for (const cell of cells()) cell.tabIndex = cell === target ? 0 : -1;
  };

  // After each render (the list refreshes while runs go on): the remembered cell, else the newest run's first step.
  useEffect(() => {
    const all = cells();
    const remembered = active.current && all.find((cell) => cell.dataset.row === active.current!.row && cell.dataset.run === active.current!.run);
    const firstRow = all.filter((cell) => cell.dataset.row === '0');
    settle(remembered || firstRow.at(-1));
  });

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const current = event.target instanceof HTMLElement && event.target.dataset.row !== undefined ? event.target : null;
    if (!current) return;
    const row = Number(current.dataset.row);
    const col = Number(current.dataset.col);
    const inRow = cells().filter((cell) => Number(cell.dataset.row) === row);
    const move = MOVES[event.key];
    let target: HTMLElement | undefined;
    if (move) target = cells().find((cell) => Number(cell.dataset.row) === row + move[0] && Number(cell.dataset.col) === col + move[1]);
    else if (event.key === 'Home') target = inRow[0];
    else if (event.key === 'End') target = inRow.at(-1);
    else return;
    event.preventDefault();
    if (!target) return;
    active.current = { row: target.dataset.row ?? '0', run: target.dataset.run ?? '' };
    settle(target);
    target.focus();
  };

  return (
    <div ref={box} onKeyDown={onKeyDown}>
      {children}
    </div>
  );
}
