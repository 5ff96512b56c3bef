"""``publisher bundle DIR``: an offline release for an intranet — every wheel for the target platforms and Python,
the install script, the config template and the service files — as DIR and DIR.tar.gz.

The dependencies are resolved once for this machine (``pip wheel``: the exact versions, and a wheel built for
any pure-Python package the index has only as source); for another platform (``aarch64`` for 鲲鹏/飞腾 servers)
each platform-specific wheel is then fetched in the same version with ``pip download --platform ... --only-binary``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from importlib import resources
from pathlib import Path

from publisher import __version__
from publisher.errors import InputError, PublisherError
from publisher.foundation.i18n import _

DISTRIBUTION = "zwgk-publisher"
EXTRAS = "[postgresql]"
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}
NEWER_GLIBC = {"x86_64": "manylinux_2_28_x86_64", "aarch64": "manylinux_2_28_aarch64"}
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def native_arch() -> str:
    """This machine's architecture as the bundle names it."""
    import platform

    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def make_bundle(target: Path, *, archs: list[str], wheel: Path | None = None, pip_args: list[str] = ()) -> dict:
    """Write the bundle to ``target`` (a new folder) and ``target``.tar.gz; returns what it holds."""
    if target.exists():
        raise InputError(_("{target} exists; give a new folder").format(target=target), field="DIR")
    unknown = [a for a in archs if a not in PLATFORMS]
    if unknown:
        raise InputError(_("unknown platform {names} (one of {known})").format(
            names=", ".join(unknown), known=", ".join(PLATFORMS)), field="--platform")
    native = native_arch()
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    try:
        own = wheel or _build_own_wheel(work / "build", list(pip_args))
        resolved = work / "wheels" / native
        _pip("wheel", "--wheel-dir", str(resolved), f"{own}{EXTRAS}", *pip_args)
        for arch in archs:
            if arch != native:
                _foreign_wheels(resolved, work / "wheels" / arch, arch, python, list(pip_args))
        if native not in archs:
            shutil.rmtree(resolved)
        shutil.rmtree(work / "build", ignore_errors=True)
        _add_files(work, python, archs)
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    archive = target.with_name(target.name + ".tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(target, arcname=target.name)
    files = [p for p in target.rglob("*") if p.is_file()]
    return {"folder": str(target), "archive": str(archive), "files": len(files),
            "wheels": len([p for p in files if p.suffix == ".whl"]), "bytes": archive.stat().st_size,
            "python": python, "platforms": archs}


def _build_own_wheel(folder: Path, pip_args: list[str]) -> Path:
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise InputError(_("publisher is not installed from its source folder: give its wheel with --wheel FILE "
                           "(python -m build in the source)"), field="--wheel")
    _pip("wheel", "--no-deps", "--wheel-dir", str(folder), str(root), *pip_args)
    return next(folder.glob("zwgk_publisher-*.whl"))


def _foreign_wheels(resolved: Path, into: Path, arch: str, python: str, pip_args: list[str]) -> None:
    """For each platform-specific wheel of this machine, the same version built for ``arch``; pure ones copied."""
    into.mkdir(parents=True)
    for wheel in sorted(resolved.glob("*.whl")):
        name, version = wheel.name.split("-")[:2]
        if wheel.name.endswith("-none-any.whl"):
            shutil.copy2(wheel, into)
            continue
        _pip("download", "--no-deps", "--only-binary=:all:", "--dest", str(into), "--python-version", python,
             "--implementation", "cp", "--platform", PLATFORMS[arch], "--platform", NEWER_GLIBC[arch],
             f"{name.replace('_', '-')}=={version}", *pip_args)


def _add_files(work: Path, python: str, archs: list[str]) -> None:
    template = resources.files("publisher").joinpath("default_config.yaml").read_text(encoding="utf-8")
    (work / "config.example.yaml").write_text(template, encoding="utf-8")
    (work / "VERSION").write_text(f"{DISTRIBUTION} {__version__}\nPython {python}\n{' '.join(archs)}\n",
                                  encoding="utf-8")
    if not DEPLOY.is_dir():
        raise InputError(_("{folder} is missing: make the bundle from publisher's source folder").format(
            folder=DEPLOY), field="DIR")
    shutil.copytree(DEPLOY, work / "deploy")
    shutil.copy2(DEPLOY / "install.sh", work / "install.sh")
    (work / "install.sh").chmod(0o755)


def _pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        last = [line for line in (done.stderr or done.stdout).strip().splitlines() if "WARNING" not in line][-3:]
        raise PublisherError(_("pip {command} failed: {reason}").format(command=args[0], reason=" | ".join(last)))
