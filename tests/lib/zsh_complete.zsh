# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# zsh_complete.zsh DIR LINE : what zsh's completion system offers for
# LINE (completed at its end), one word a line, with the completion
# functions of DIR first in $fpath. A real interactive zsh in a
# pseudo-terminal (zpty) runs compinit and completes on a Tab; compadd
# is wrapped only to print what it is given before it adds it.
zmodload zsh/zpty zsh/datetime || exit 3
typeset -F SECONDS
dir=$1 line=$2
zpty z zsh -f -i || exit 3
zpty -w z "PS1=''; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'bindkey "^I" complete-word'
zpty -w z "zstyle ':completion:*' insert-tab false"
zpty -w z 'tg_done() { print -r -- TG-END; exit }; comppostfuncs=(tg_done)'
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a tg_hits; builtin compadd -A tg_hits "$@"
  local h; for h in $tg_hits; do print -r -- "TG-HIT""-WORD:$h"; done
  builtin compadd "$@"
}'
zpty -w -n z "$line"$'\t'
out=
# Until the completion is over (TG-END), or 10 seconds.
float deadline=$(( SECONDS + 10 ))
while (( SECONDS < deadline )); do
  if zpty -r -t z chunk 2>/dev/null; then
    out+=$chunk
    [[ $out == *TG-END$'\r'* || $out == *TG-END$'\n'* ]] && break
  else
    sleep 0.05
  fi
done
# The words, wherever the terminal put them; the echo of compadd's
# definition reads TG-HIT""-WORD, not the marker.
[[ -n $TG_RAW ]] && print -r -- "$out"
print -r -- ${(F)${${(M)${(f)out//$'\r'/}:#*TG-HIT-WORD:*}##*TG-HIT-WORD:}}
zpty -d z
