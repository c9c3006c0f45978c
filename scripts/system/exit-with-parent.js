// Preloaded (`node --import`) into a child server that must not outlive the process
// that started it (MailDev, see mail-catcher.ts). That process holds the other end of
// this one's stdin: the OS closes it when the parent dies, however it dies (an
// uncaught error, a test worker torn down, SIGKILL), and the child then stops too.
// Plain JavaScript: the child runs on bare Node, without tsx.
process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
