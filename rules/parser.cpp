#include "rules/parser.h"
