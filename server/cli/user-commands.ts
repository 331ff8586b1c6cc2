import { parseArgs } from 'node:util';

import { generatePassword } from '../auth/passwords';
import { type Role, ROLES } from '../auth/roles';
import { roleSchema, UserRepository } from '../auth/users';
import { type Command, UsageError } from './shared';

/** `stockflow user add|passwd|list|remove`: control panel accounts. */
export const userCommands: Record<string, Command> = {
  async user(args, services) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { role: { type: 'string' }, password: { type: 'string' } } });
    const [verb, name] = positionals;
    const users = new UserRepository((await services()).pool);
    switch (verb) {
      case 'list': {
        const list = await users.list();
        for (const user of list) process.stdout.write(`${user.username.padEnd(24)} ${user.role.padEnd(9)} since ${user.createdAt.slice(0, 10)}\n`);
        if (list.length === 0) process.stdout.write('No users yet: the first `stockflow start` creates an admin.\n');
        return 0;
      }
      case 'add': {
        if (!name) throw new UsageError(`usage: stockflow user add NAME --role ${ROLES.join('|')} [--password P]`);
        const role: Role = roleSchema.parse(values.role ?? 'viewer');
        const password = values.password ?? generatePassword();
        await users.add(name, password, role);
        process.stdout.write(`Added ${name} (${role}).${values.password ? '' : ` Password: ${password}`}\n`);
        return 0;
      }
      case 'passwd': {
        if (!name) throw new UsageError('usage: stockflow user passwd NAME [--password P]');
        const password = values.password ?? generatePassword();
        await users.setPassword(name, password);
        process.stdout.write(`Password of ${name} changed; their sessions ended.${values.password ? '' : ` New password: ${password}`}\n`);
        return 0;
      }
      case 'remove': {
        if (!name) throw new UsageError('usage: stockflow user remove NAME');
        await users.remove(name);
        process.stdout.write(`Removed ${name}.\n`);
        return 0;
      }
      default:
        throw new UsageError('usage: stockflow user add|passwd|list|remove ...');
    }
  },
};
