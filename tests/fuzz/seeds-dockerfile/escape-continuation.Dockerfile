# escape=`
FROM scratch
ENV PATH=C:\bin;${PATH:-x} `
    Q=`$notvar
RUN echo a `
  # comment inside continuation
  b `

COPY ["a b", "c`d", "/dst/"]
ARG X=${Y:-${Z:?missing}}
