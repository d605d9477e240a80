/**
 * `npm test` runs this first: the browser tests need Chromium and the SFTP tests a real OpenSSH
 * server, which a fresh Debian machine does not have. Found → nothing to do; missing and we may
 * use apt (root on Debian) → installed from Debian's packages; otherwise a message that says
 * exactly what to install, and a non-zero exit so the run stops before a confusing test failure.
 *
 * Why Debian's packages and not a browser shipped inside an npm package (`@sparticuz/chromium`
 * was evaluated): that build targets AWS Lambda's Amazon Linux, needs shared libraries Debian
 * only gets from the same packages chromium pulls in anyway, and its version would have to follow
 * playwright-core's protocol by hand. Set CHROMIUM_PATH / SSHD_PATH to use binaries of your own.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

interface Tool {
  name: string;
  path: string;
  debianPackage: string;
}

const tools: Tool[] = [
  { name: "Chromium (browser tests)", path: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", debianPackage: "chromium" },
  { name: "OpenSSH server (SFTP delivery tests)", path: process.env.SSHD_PATH ?? "/usr/sbin/sshd", debianPackage: "openssh-server" },
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function canUseApt(): boolean {
  return process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
}

const missing = tools.filter((tool) => !executable(tool.path));
if (missing.length > 0) {
  const packages = missing.map((tool) => tool.debianPackage);
  if (canUseApt()) {
    console.log(`Installing ${packages.join(", ")} from Debian's packages for the tests…`);
    try {
      execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
      execFileSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    } catch {
      // The check below names what is still missing.
    }
  }
  const stillMissing = tools.filter((tool) => !executable(tool.path));
  if (stillMissing.length > 0) {
    for (const tool of stillMissing) console.error(`Missing ${tool.name}: ${tool.path}`);
    console.error(
      `Install them with \`sudo apt-get install -y ${stillMissing.map((tool) => tool.debianPackage).join(" ")}\` ` +
        "(or point CHROMIUM_PATH / SSHD_PATH at your own), then run npm test again.",
    );
    process.exit(1);
  }
}
