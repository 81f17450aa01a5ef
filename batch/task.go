package batch

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNoCount is returned when a task index is known but not the count.
var ErrNoCount = errors.New("task count unknown")

// TaskFromEnv returns the array task this process is. An index ≥ 0 (the
// --index flag) wins, with count (--count). Without it, Slurm's
// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT name the task, counted
// from SLURM_ARRAY_TASK_MIN by SLURM_ARRAY_TASK_STEP when they are set
// (--array=1-4 and --array=0-6:2 both give indexes 0 to 3); a count > 0
// must agree. Then Kubernetes' JOB_COMPLETION_INDEX, with count required,
// since an Indexed Job does not tell its completions. ok is false when
// nothing names a task: the process runs the whole batch.
func TaskFromEnv(index, count int, getenv func(string) string) (t Task, ok bool, err error) {
	switch {
	case index >= 0:
		if count <= 0 {
			return Task{}, false, fmt.Errorf("batch: %w: --index %d needs --count", ErrNoCount, index)
		}
		t = Task{index, count}
	case getenv("SLURM_ARRAY_TASK_ID") != "":
		if t, err = slurmTask(count, getenv); err != nil {
			return Task{}, false, err
		}
	case getenv("JOB_COMPLETION_INDEX") != "":
		i, err := envInt("JOB_COMPLETION_INDEX", getenv)
		if err != nil {
			return Task{}, false, err
		}
		if count <= 0 {
			return Task{}, false, fmt.Errorf("batch: %w: JOB_COMPLETION_INDEX is set; give --count (the Job's completions)", ErrNoCount)
		}
		t = Task{i, count}
	case count > 0:
		return Task{}, false, fmt.Errorf("batch: --count %d needs --index (or an array task's environment)", count)
	default:
		return Task{}, false, nil
	}
	if err := t.check(); err != nil {
		return Task{}, false, err
	}
	return t, true, nil
}

func slurmTask(count int, getenv func(string) string) (Task, error) {
	id, err := envInt("SLURM_ARRAY_TASK_ID", getenv)
	if err != nil {
		return Task{}, err
	}
	n, min, step := count, 0, 1
	for _, v := range []struct {
		name string
		dst  *int
	}{{"SLURM_ARRAY_TASK_COUNT", &n}, {"SLURM_ARRAY_TASK_MIN", &min}, {"SLURM_ARRAY_TASK_STEP", &step}} {
		if getenv(v.name) == "" {
			continue
		}
		if *v.dst, err = envInt(v.name, getenv); err != nil {
			return Task{}, err
		}
	}
	switch {
	case n <= 0:
		return Task{}, fmt.Errorf("batch: %w: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT; give --count", ErrNoCount)
	case count > 0 && n != count:
		return Task{}, fmt.Errorf("batch: --count %d, but the Slurm array has %d tasks", count, n)
	case step < 1 || (id-min)%step != 0:
		return Task{}, fmt.Errorf("batch: %w: SLURM_ARRAY_TASK_ID %d is not SLURM_ARRAY_TASK_MIN %d plus a multiple of SLURM_ARRAY_TASK_STEP %d; submit --array=0-%d", ErrIndexRange, id, min, step, n-1)
	}
	return Task{(id - min) / step, n}, nil
}

func envInt(name string, getenv func(string) string) (int, error) {
	i, err := strconv.Atoi(getenv(name))
	if err != nil {
		return 0, fmt.Errorf("batch: %s=%q: not an integer", name, getenv(name))
	}
	return i, nil
}
