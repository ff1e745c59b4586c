# fish completion for nvault: commands, subcommands and options come from
# nvault's own --help.
function __nvault_commands
    nvault --help 2>/dev/null | sed -n '/^Commands:/,/^$/p' | awk 'NF>1 {printf "%s\t", $1; $1=""; sub(/^ +/, ""); print}'
end
function __nvault_subcommands
    set -l cmd (commandline -opc)[2]
    nvault $cmd --help 2>/dev/null | sed -n '/^Subcommands:/,/^$/p' | awk 'NF>1 {printf "%s\t", $1; $1=""; sub(/^ +/, ""); print}'
end
function __nvault_options
    set -l words (commandline -opc)
    nvault $words[2..3] --help 2>/dev/null; or nvault $words[2] --help 2>/dev/null
end
function __nvault_option_list
    __nvault_options | grep -Eo -- '(^|[ ,])--[a-z][a-z-]*' | tr -d ' ,' | sort -u
end
complete -c nvault -f
complete -c nvault -n '__fish_use_subcommand' -a '(__nvault_commands)'
complete -c nvault -n 'not __fish_use_subcommand; and test (count (commandline -opc)) -eq 2' -a '(__nvault_subcommands)'
complete -c nvault -n 'string match -q -- "-*" (commandline -ct)' -a '(__nvault_option_list)'
complete -c nvault -l db -r -F -d 'store file'
complete -c nvault -l config -r -F -d 'sync config'
complete -c nvault -l format -x -a 'jsonl csv'
