#include "rules/printer.h"
