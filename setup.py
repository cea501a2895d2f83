"""Hooks the cffi binding build into setuptools; all metadata is in pyproject.toml."""

from setuptools import setup

setup(cffi_modules=["agent/wamr_agent/pywamr/_build.py:ffibuilder"])
