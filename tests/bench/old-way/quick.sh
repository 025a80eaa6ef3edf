#!/usr/bin/env bash
# The phone side of the old quick check (OpenClaw's termux-quick-auth.sh), for clawauth's
# benchmark: one `ssh` to the gateway running the status script, which prints the verdict. The
# widget then showed a toast; that part is left out here, as it is for clawauth.
# `ssh -F ~/.ssh/config`: on Termux $HOME is the user's home anyway; here the phone's HOME is a
# directory of the benchmark's, which OpenSSH would not look in.
SERVER=${1:?usage: quick.sh HOST}
ssh -F "$HOME/.ssh/config" -o ConnectTimeout=5 "$SERVER" 'auth-status.sh simple' 2>&1
