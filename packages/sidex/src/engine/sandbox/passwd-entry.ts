import fs from 'node:fs';

/** The name a leased uid goes by inside its sandbox. */
export const SANDBOX_USER_NAME = 'sidex';

/**
 * The sandbox's /etc/passwd when its uid has no entry in the host's: the
 * host's with one line added for it. Programs look their user up (git, ssh,
 * Python's getpass, Node's os.userInfo()) and fail without one, as they
 * would not under a uid the host knows. `undefined`: the host's will do.
 */
export function passwdWith(uid: number, gid: number, home: string, hostPasswd = readHostPasswd()): string | undefined {
  if (accounts(hostPasswd).some((account) => account.uid === uid)) return undefined;
  const base = hostPasswd.length === 0 || hostPasswd.endsWith('\n') ? hostPasswd : `${hostPasswd}\n`;
  // A field may hold neither separator; the environment's HOME is the scratch directory all the same.
  const dir = /[:\n]/.test(home) ? '/tmp' : home;
  return `${base}${SANDBOX_USER_NAME}:x:${uid}:${gid}:sidex sandbox:${dir}:/bin/sh\n`;
}

/** The host accounts whose uid lies in [first, first + count): sandboxes given those uids would own their files. */
export function accountsWithin(first: number, count: number, hostPasswd = readHostPasswd()): string[] {
  return accounts(hostPasswd)
    .filter(({ uid }) => uid >= first && uid < first + count)
    .map(({ name }) => name);
}

/** The name and uid of each line of a passwd file that has them. */
function accounts(passwd: string): Array<{ name: string; uid: number }> {
  return passwd.split('\n').flatMap((line) => {
    const [name, , uid] = line.split(':');
    return name && uid && /^\d+$/.test(uid) ? [{ name, uid: Number(uid) }] : [];
  });
}

function readHostPasswd(): string {
  try {
    return fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return '';
  }
}
