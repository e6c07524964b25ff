// Syllo's embedding API: everything an application needs to load rule packs,
// run decisions and consultations, and explain them.
//
//   #include <syllo/syllo.h>
//   auto program = syllo::Program::FromFiles({"loan.syl"});
//   syllo::Session session(*program);
//
// No LibTorch, Lua or SQLite type appears in these headers; link Syllo::syllo.
#pragma once

#include "syllo/explanation.h"
#include "syllo/fact_view.h"
#include "syllo/program.h"
#include "syllo/query.h"
#include "syllo/session.h"
#include "syllo/status.h"
#include "syllo/value.h"
