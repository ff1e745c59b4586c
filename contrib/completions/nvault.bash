# bash completion for nvault. Commands, subcommands and options are read
# from nvault's own --help, so they never go stale.
_nvault() {
  local cur prev words cword
  _init_completion 2>/dev/null || {
    cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  }
  case $prev in
    --db|--config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "jsonl csv" -- "$cur")); return ;;
  esac
  local i cmd="" sub=""
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      --db|--config) ((i++)) ;;
      -*) ;;
      *) if [ -z "$cmd" ]; then cmd=${words[i]}; elif [ -z "$sub" ]; then sub=${words[i]}; fi ;;
    esac
  done
  local help
  if [ -z "$cmd" ]; then
    help=$(nvault --help 2>/dev/null)
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--version $(grep -Eo -- '--?[a-z][a-z-]*' <<<"$help" | sort -u)" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "help $(sed -n '/^Commands:/,/^$/p' <<<"$help" | awk 'NF>1 {print $1}')" -- "$cur"))
    fi
    return
  fi
  help=$(nvault "$cmd" ${sub:+"$sub"} --help 2>/dev/null)
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(grep -Eo -- '(^|[ ,])--?[a-z][a-z-]*' <<<"$help" | tr -d ' ,' | sort -u)" -- "$cur"))
  elif [ -z "$sub" ] && grep -q '^Subcommands:' <<<"$help"; then
    COMPREPLY=($(compgen -W "$(sed -n '/^Subcommands:/,/^$/p' <<<"$help" | awk 'NF>1 {print $1}')" -- "$cur"))
  fi
}
complete -F _nvault nvault
