#!/bin/sh
# fixture: a script is not an ELF executable
exit 0
