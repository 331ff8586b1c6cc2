import type { Identity } from './context';

export type Outcome = 'success' | 'failure';

/** `<Cohort>_<FirstName>_<Surname>_Pipeline_Success` (or `_Failure`): the subject mail filters expect. */
export function notificationSubject(identity: Identity, outcome: Outcome): string {
  const subject = [identity.cohort, identity.firstName, identity.surname, 'Pipeline', outcome === 'success' ? 'Success' : 'Failure'].join('_');
  if (!/^[\x20-\x7e]+$/.test(subject)) throw new Error(`Notification subject must be plain ASCII: ${JSON.stringify(subject)}`);
  if (subject.length >= 100) throw new Error(`Notification subject must be under 100 characters: ${subject}`);
  return subject;
}
