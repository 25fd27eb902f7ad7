// Debian's libyaml (libyaml-dev): the event parser FirebreakLoading reads YAML with.
#include <yaml.h>
