module github.com/fosbury-net/fosbury

go 1.26.3
