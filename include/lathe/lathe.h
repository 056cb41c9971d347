/* lathe: industrial AI engine. One include for the whole public API. */
#ifndef LATHE_H
#define LATHE_H
#include "core.h"
#include "table.h"
#include "transform.h"
#include "derive.h"
#include "split.h"
#include "metrics.h"
#include "model.h"
#include "cluster.h"
#include "pipeline.h"
#include "tune.h"
#include "explain.h"
#include "svg.h"
#include "modelfile.h"
#include "serve.h"
#include "simulate.h"
#endif
