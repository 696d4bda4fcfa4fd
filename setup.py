"""What pyproject.toml cannot say: the top-level `resources/` folder ships inside the package.

The repository keeps `resources/` (sample scorecards, icons, the Linux .desktop file) at the
top level; the wheel installs it as `qagrader/resources/`, where `qagrader.core.resources`
finds it with importlib.resources. `packages.find` in pyproject.toml cannot add a package that
lives outside the package tree, hence this file; everything else is in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

RESOURCES = ["qagrader.resources", *(f"qagrader.resources.{name}" for name in find_namespace_packages("resources"))]

setup(
    packages=[*find_packages(include=["qagrader", "qagrader.*"]), *RESOURCES],
    package_dir={"qagrader.resources": "resources"},
)
