import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CopyDataFramer } from './copy-out';

const message = (code: string, payload: Buffer): Buffer => {
  const header = Buffer.alloc(5);
  header.write(code, 0, 'latin1');
  header.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
};

/** A COPY as PostgreSQL sends it: CopyOutResponse, rows (a notice among them), CopyDone, then pg's messages. */
function copyOutput(rows: Buffer[]): { wire: Buffer; data: Buffer; after: Buffer } {
  const after = Buffer.concat([message('C', Buffer.from('COPY 3\0')), message('Z', Buffer.from('T'))]);
  const parts = [message('H', Buffer.from([0, 0, 2, 0, 0, 0, 0])), ...rows.map((row) => message('d', row))];
  parts.splice(2, 0, message('N', Buffer.from('SNOTICE\0\0')));
  return { wire: Buffer.concat([...parts, message('c', Buffer.alloc(0)), after]), data: Buffer.concat(rows), after };
}

function feed(wire: Buffer, cuts: number[]): { data: Buffer; state: string; rest: Buffer } {
  const emitted: Buffer[] = [];
  const framer = new CopyDataFramer((bytes) => {
    emitted.push(Buffer.from(bytes));
    return true;
  });
  let from = 0;
  for (const cut of [...cuts, wire.length]) {
    // Each read is a buffer of its own, as a socket's are: the framer rewrites it in place.
    const step = framer.take(Buffer.from(wire.subarray(from, cut)));
    from = cut;
    if (step.state !== 'more') return { data: Buffer.concat(emitted), state: step.state, rest: Buffer.concat([step.rest, wire.subarray(from)]) };
  }
  return { data: Buffer.concat(emitted), state: 'more', rest: Buffer.alloc(0) };
}

describe('CopyDataFramer (the rows of a COPY out of the protocol messages)', () => {
  it('gives exactly the rows and hands the messages after CopyDone back, however the socket cuts them', () => {
    const { wire, data, after } = copyOutput([Buffer.from('2017-01-02,1.5,aapl\n'), Buffer.alloc(0), Buffer.from('x\n'), Buffer.from('2017-01-03,"a,b",ge\n')]);
    for (let first = 0; first <= wire.length; first += 1)
      for (let second = first; second <= wire.length; second += 7) {
        const result = feed(wire, [first, second]);
        assert.equal(result.state, 'done', `cuts ${first}, ${second}`);
        assert.deepEqual(result.data, data, `cuts ${first}, ${second}`);
        assert.deepEqual(result.rest, after, `cuts ${first}, ${second}`);
      }
  });

  it('carries rows across many reads, rows longer than a read too', () => {
    const rows = Array.from({ length: 5000 }, (_, index) => Buffer.alloc(60 + (index % 90), 97 + (index % 26)));
    rows.push(Buffer.alloc(600 * 1024, 122));
    const { wire, data, after } = copyOutput(rows);
    const cuts = Array.from({ length: 40 }, (_, index) => Math.floor((wire.length * (index + 1)) / 41) + (index % 3));
    const result = feed(wire, cuts);
    assert.equal(result.state, 'done');
    assert.equal(result.data.length, data.length);
    assert.ok(result.data.equals(data));
    assert.deepEqual(result.rest, after);
  });

  it('stops at an error and gives pg the whole error message', () => {
    const error = message('E', Buffer.from('SERROR\0C57014\0Mcanceling statement\0\0'));
    const wire = Buffer.concat([message('H', Buffer.from([0, 0, 0])), message('d', Buffer.from('a\n')), error, message('Z', Buffer.from('E'))]);
    for (let cut = 0; cut <= wire.length; cut += 1) {
      const result = feed(wire, [cut]);
      assert.equal(result.state, 'error', `cut ${cut}`);
      assert.deepEqual(result.data, Buffer.from('a\n'));
      assert.ok(result.rest.subarray(0, error.length).equals(error), `cut ${cut}`);
    }
  });

  it("hands over each read's rows in the read's own memory, and reports a full reader so the socket is not read further", () => {
    const emitted: Buffer[] = [];
    const framer = new CopyDataFramer((bytes) => {
      emitted.push(bytes);
      return false;
    });
    const read = Buffer.concat([message('H', Buffer.from([0])), message('d', Buffer.from('row 1\n')), message('d', Buffer.from('row 2\n'))]);
    assert.deepEqual(framer.take(read), { state: 'more', drained: false });
    assert.equal(emitted.length, 1);
    assert.equal(emitted[0]!.toString(), 'row 1\nrow 2\n');
    assert.equal(emitted[0]!.buffer, read.buffer, 'no copy: the rows were moved to the front of the read');
    assert.deepEqual(framer.take(message('H', Buffer.from([0]))), { state: 'more', drained: true }, 'a read without rows hands nothing over');
    assert.equal(emitted.length, 1);
    const end = framer.take(message('c', Buffer.alloc(0)));
    assert.equal(end.state, 'done');
  });
});
