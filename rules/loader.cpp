#include "rules/loader.h"
