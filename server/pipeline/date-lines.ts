/**
 * The line each kept date came from, to name a duplicate's first line. Files list their days in
 * order, where no duplicate is possible: the dates are only listed then, and looked up in a map
 * from the first date that does not go forward (a map entry per row was a measurable share of the
 * transform's CPU).
 */
export class DateLines {
  private last = '';
  private readonly dates: string[] = [];
  private readonly lines: number[] = [];
  private byDate: Map<string, number> | null = null;

  /** Records the date's line; returns the first line of an earlier row with that date, if any. */
  add(date: string, line: number): number | undefined {
    if (this.byDate === null && date > this.last) {
      this.last = date;
      this.dates.push(date);
      this.lines.push(line);
      return undefined;
    }
    this.byDate ??= new Map(this.dates.map((listed, index) => [listed, this.lines[index]!]));
    const earlier = this.byDate.get(date);
    if (earlier === undefined) this.byDate.set(date, line);
    return earlier;
  }
}
