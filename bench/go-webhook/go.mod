module flink-memguard/bench/go-webhook

go 1.19
