// Every npm script runs on Node 22 or newer. `npm ci` installs the `node@22` devDependency, and npm puts
// its binary first on PATH for `npm test`/`npm start`/`npm run …`, so this only trips when a script is run
// by hand with an older Node, or before `npm ci`.
const MIN = [22, 15]

export function checkNodeVersion(script) {
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major > MIN[0] || (major === MIN[0] && minor >= MIN[1])) return
  process.stderr.write(
    `${script}: Node.js ${process.versions.node} is too old; Hewston BFF needs Node.js ${MIN.join('.')} or newer (22 LTS or 24).\n` +
      '  Run it through npm (`npm ci` once, then `npm test` / `npm start` / `npm run bench`): npm uses the\n' +
      '  Node 22 that `npm ci` installs into node_modules/.bin. Or install Node 22/24 (nvm install 22).\n',
  )
  process.exit(1)
}
