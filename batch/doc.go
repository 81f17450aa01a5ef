// Package batch runs many transplants from one job file, on one machine or
// as an array of tasks on a cluster whose nodes share only a file system.
// It owns the job file, the plan of work, the scheduling and the summary;
// the work itself (solve, apply, evaluate) is a [Worker] the caller
// supplies, so the package knows nothing of models or methods.
//
// # Job files
//
// A job file is YAML: `jobs`, a list of jobs; `defaults`, keys every job
// takes unless it sets them (eval field by field; a job's null unsets a
// default); `dir`, the state directory. A job's keys are base (a path, a
// glob or a list of them: one job per base), tokenizer, donor, out, eval
// {text, baseline}, shards, and any run option of the caller's [Schema] by
// its flag name with '_' for '-' (method, head_method, omp_memory, …).
// Relative paths are relative to the job file; in every path but base,
// {base} stands for the base directory's name, and a job with several
// bases must use it in out. [Parse] refuses, before anything runs and
// naming file and line, a syntax error, an unknown or repeated key, a
// value of the wrong type, a missing base or out, and two jobs with one
// output. A job whose inputs are missing, or whose base pattern matches
// nothing, keeps the error in [Job.Err] and fails alone.
//
// # Units and groups
//
// [NewPlan] groups jobs by the caller's [KeyFunc]: jobs with one key (same
// old and new tokenizer, donor and method options) share one solve. The
// plan is a list of [Unit]s, each writing one output:
//
//	run    a job that shares nothing: solve and apply in one
//	solve  a shared recipe, or one shard of a split one (shards: S)
//	merge  a split recipe from its S shards
//	apply  a shared recipe to one job's base
//	eval   one job's output scored
//
// # Cluster protocol
//
// Units are bundled into items that one task runs whole: a job that
// shares nothing with its evaluation; a shared, unsplit solve with every
// apply and evaluation of its group; one shard of a split solve. Items go
// to tasks 0..N-1 largest first, each to the least loaded task, ties to
// the lowest index ([Plan.Slice]); the assignment depends only on the job
// file and the inputs it names, so every node computes the same one
// without talking to the others.
//
//  1. Array tasks ([Plan.RunTask], `transplant batch JOBS --index I
//     --count N`, or I and N from Slurm's or Kubernetes' environment by
//     [TaskFromEnv]) run their items. An item never waits for another task.
//  2. The gather step ([Plan.RunGather], `--gather`), once every task has
//     ended, merges the shards of split solves, applies them and scores
//     the results, runs any unit whose task left no record, and writes the
//     summary.
//
// Nodes share only the file system and never write the same file: a
// unit writes its output (Unit.Out: a recipe or shard in the state
// directory, or the job's output directory) and its record
// (DIR/units/ID.json), each through a temporary name in the same directory
// renamed into place, so a reader sees a whole file or none. Only the gather
// step, or a single-process run ([Plan.RunAll]), writes DIR/batch.json and
// DIR/batch.md. A task first removes the records of its units, so a unit it
// does not finish has none; the gather step runs such units, and reports a
// unit recorded as failed without retrying it (rerun its task).
//
// # Resuming and scheduling
//
// Before running, [Worker.Done] is asked of every unit: one whose output
// exists and matches its inputs is skipped, and so is one that nothing left
// to do needs (a solve whose applies are all done). Rerunning an
// interrupted batch therefore redoes only what is missing. Units run
// [Options.Jobs] at a time within [Options.Memory], each holding the memory
// [Worker.Memory] declares for it; ready units start in plan order, and one
// that does not fit holds back those after it, so a large unit is not
// starved. A unit larger than the whole budget waits until nothing runs and
// then runs alone ([Event.Oversize]). A unit that fails is recorded with
// its error and fails the units that need it; the others go on. On
// cancellation, running units get the cancelled context and nothing new
// starts; what did not finish stays pending.
package batch
