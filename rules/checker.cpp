#include "rules/checker.h"
