import { z } from 'zod';

/** YYYY-MM-DD naming a real day: 2026-02-31 matches the pattern, but PostgreSQL refuses it (a 500). */
export const calendarDaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD')
  .refine((text) => {
    const date = new Date(`${text}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
  }, 'no such day');
